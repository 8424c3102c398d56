from tests.reliability import harness
def test_x(tmp_path):
    with harness.deployment(tmp_path) as d:
        print(sorted(p.name for p in d.data_dir.iterdir()))
        print(d.run_zhili("showmigrations", "geo"))
    assert 0
