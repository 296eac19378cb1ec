"""Pure ``nn.Module`` colorization networks; no I/O, no Django."""
