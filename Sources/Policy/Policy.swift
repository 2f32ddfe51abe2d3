// Policy module.
