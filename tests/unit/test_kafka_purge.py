from aiokafka import TopicPartition

from longweave.kafka_purge import PurgeQueue
from longweave.topics import Topics


def tp(topic: str, partition: int = 0) -> TopicPartition:
    return TopicPartition(topic, partition)


def test_only_hop_topics_are_queued_at_their_highest_committed_offset():
    queue = PurgeQueue({"lw.segments"})
    queue.committed({tp("lw.segments"): 5, tp("lw.segments", 1): 2, tp("lw.dead-letter"): 9})
    queue.committed({tp("lw.segments"): 7})
    queue.committed({tp("lw.segments"): 6})  # an older commit never moves it back
    assert queue.take() == {tp("lw.segments"): 7, tp("lw.segments", 1): 2}
    assert queue.take() == {}


def test_a_failed_purge_is_retried_unless_a_later_commit_moved_on():
    queue = PurgeQueue({"lw.segments"})
    queue.committed({tp("lw.segments"): 5, tp("lw.segments", 1): 3})
    failed = queue.take()
    queue.committed({tp("lw.segments"): 8})
    queue.put_back(failed)
    assert queue.take() == {tp("lw.segments"): 8, tp("lw.segments", 1): 3}


def test_the_hops_leave_out_what_users_write_and_read():
    topics = Topics.with_prefix("lw")
    assert topics.scenario_requests not in topics.hops()
    assert topics.dead_letter not in topics.hops()
    assert set(topics.hops()) == set(topics.all()) - {topics.scenario_requests,
                                                      topics.dead_letter}
