"""Training recipes: one small file each, `rnnzoo train NAME` runs one."""
