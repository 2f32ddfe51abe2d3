// HostProbes module.
