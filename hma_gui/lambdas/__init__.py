"""AWS Lambda entry points (Qt-free: they import only ``hma_gui.core``)."""
