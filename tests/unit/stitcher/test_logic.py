from longweave.stitcher.logic import stitch

SCENARIO = {"assistant_persona": "a clerk", "audience": "citizens", "tone": "calm",
            "guidance": "Be brief.", "geography": {"city": "Oslo", "country": "Norway"}}


def test_stitch_puts_a_system_message_first():
    turns = stitch(SCENARIO, [[{"role": "user", "content": "q"}],
                              [{"role": "assistant", "content": "a"}]])
    assert [t.role for t in turns] == ["system", "user", "assistant"]
    assert "a clerk" in turns[0].content and "Oslo, Norway" in turns[0].content
