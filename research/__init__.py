"""Development only: training, evaluation and calibration of the models, the PyTorch networks,
the compact model's checkpoint and the commands around them. It depends on ``colorize``, never
the other way; a server never installs PyTorch nor imports this package (production settings
leave the app out)."""
