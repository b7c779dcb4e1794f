from retrieval.cli import main, run_as_process

run_as_process(main)
