from tracker.interfaces.cli.main import run

run()
