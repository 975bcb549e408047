"""The questions a result asks of a file's text rather than reading all of it (see
`project.probes`): whether a module uses a function as a value."""

from __future__ import annotations

import pytest

from pkify.project.probes import uses_as_value


@pytest.mark.parametrize(
    "text",
    [
        "post_save.connect(notify)\n",
        "HANDLERS = {'paid': notify}\n",
        "callback = self.notify\n",
        "on_commit(partial(helpers.notify, order))\n",
        "    return notify\n",
    ],
)
def test_a_use_as_a_value(text: str) -> None:
    assert uses_as_value(text, "notify")


@pytest.mark.parametrize(
    "text",
    [
        "notify(order)\n",
        "helpers.notify(order)\n",
        "def notify(order):\n    pass\n",
        "from .helpers import notify\n",
        "# notify is passed around elsewhere\n",
        "renotify = notify_all = 1\nrenotify(notify_all)\n",  # other names that contain it
        "log('notify')\n",
        "send(notify=True)\n",
    ],
)
def test_not_a_use_as_a_value(text: str) -> None:
    assert not uses_as_value(text, "notify")
