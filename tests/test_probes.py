"""The questions a result asks of a file's text rather than reading all of it (see
`project.probes`): whether a module uses a function as a value."""

from __future__ import annotations

import pytest

from pkify.project.probes import uses_as_value, value_use_lines


@pytest.mark.parametrize(
    "text",
    [
        "post_save.connect(notify)\n",
        "HANDLERS = {'paid': notify}\n",
        "callback = self.notify\n",
        "on_commit(partial(helpers.notify, order))\n",
        "    return notify\n",
        "from .helpers import (\n    notify,\n)\nHANDLERS = (\n    notify,\n)\n",  # after the import
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
        "from .helpers import (\n    notify,\n    remind,\n)\n",  # an import over several lines
        "from .helpers import remind, \\\n    notify\n",
        "if view.notify == 'create':\n    pass\n",  # compared: nothing calls it from there
    ],
)
def test_not_a_use_as_a_value(text: str) -> None:
    assert not uses_as_value(text, "notify")


def test_the_lines_of_each_use() -> None:
    """Each use as a value, with its line, a line as many times as it has uses (what
    `callback_parameters` compares the keyword arguments it finds with)."""
    text = "def f():\n    notify(order)\n    on_commit(notify)\n    run(a=notify, b=notify)\n"
    assert value_use_lines(text, "notify") == [
        (3, "    on_commit(notify)"),
        (4, "    run(a=notify, b=notify)"),
        (4, "    run(a=notify, b=notify)"),
    ]
    assert value_use_lines("notify(order)\n", "notify") == []
