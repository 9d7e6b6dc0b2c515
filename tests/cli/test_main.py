

def test_output_piped_into_a_reader_that_stops_ends_quietly() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[2] / "src")
    # a command printing far more than a pipe buffer holds
    code = ("import sys; import sitewatch.cli.models as m; "
            "m.run = lambda args: [print('x' * 1000) for _ in range(1000)] and 0; "
            "from sitewatch.cli.main import main; sys.exit(main(['models', 'list']))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": src})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # like `| head -c 1`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err
