// Devices module.
