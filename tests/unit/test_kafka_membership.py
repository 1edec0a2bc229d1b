from longweave.kafka_membership import with_instance_ids


def test_instance_ids_are_per_group_and_the_same_in_every_run():
    def runs():
        build = with_instance_ids(lambda **kwargs: kwargs, "pod-0")
        return [build(group_id=g, client_id="c")["group_instance_id"]
                for g in ("p.generator.tasks", "p.generator.tasks", "p.judge.validated")]

    assert runs() == runs() == ["pod-0.p.generator.tasks.0", "pod-0.p.generator.tasks.1",
                                "pod-0.p.judge.validated.0"]


def test_consumers_without_a_group_are_left_alone():
    build = with_instance_ids(lambda **kwargs: kwargs, "pod-0")
    assert "group_instance_id" not in build(group_id=None)
