"""Networks defined in plain torch (no torchvision) for weights shipped in registry packages
or provided by the user."""
