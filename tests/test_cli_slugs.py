"""Every command that takes a gathering's slug says clearly when there is no such gathering."""
import pytest


@pytest.mark.parametrize("args", [
    ["door-link", "no-such-gathering", "Front door"],
    ["checkin-code-rotate", "no-such-gathering", "a@example.com"],
    ["plan", "no-such-gathering"],
    ["briefings", "no-such-gathering", "--out", "unused"],
    ["guest-link", "no-such-gathering", "a@example.com"],
    ["demo-profiles", "no-such-gathering"],
])
def test_an_unknown_slug_is_a_clear_error(runner, event, args):
    result = runner.invoke(args=["eventkit", *args])
    assert result.exit_code == 1
    assert "No gathering with the slug 'no-such-gathering'." in result.output
