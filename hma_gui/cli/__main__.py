from hma_gui.cli.main import run

run()
