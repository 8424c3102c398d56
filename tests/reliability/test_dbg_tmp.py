from tests.reliability import harness
def test_x(tmp_path):
    env = dict(harness.os.environ)
    env.pop("ZHILI_TESTING"); env["ZHILI_DATA_DIR"]=str(tmp_path)
    out = harness.subprocess.run([str(harness.BIN_DIR/"zhili"), "migrate"], env=env, capture_output=True, text=True, cwd=harness.REPOSITORY_DIR)
    print(out.returncode, out.stdout[-800:], out.stderr[-1500:])
    print(sorted(p.name for p in tmp_path.iterdir()))
    assert 0
