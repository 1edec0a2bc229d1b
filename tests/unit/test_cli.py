from longweave.cli import _parser, _request_fields


def test_publish_flags_and_file_merge_into_request_fields(tmp_path):
    request = tmp_path / "r.yaml"
    request.write_text("paradigm: conversation\ncount: 5\nparams:\n  segments: 3\n")
    args = _parser().parse_args(["publish", "--file", str(request), "--count", "7",
                                 "--turns", "4", "--filter", "domain=finance",
                                 "--param", "required_fields=[a, b]"])
    fields = _request_fields(args)
    assert fields == {"paradigm": "conversation", "count": 7, "filters": {"domain": "finance"},
                      "params": {"segments": 3, "turns_per_segment": 4,
                                 "required_fields": ["a", "b"]}}
