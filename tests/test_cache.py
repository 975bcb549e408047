"""The on-disk cache: a warm run says what a cold run says, and every change that matters
invalidates what it must (the file, the project's declarations, the settings, the other files
whose bodies the analysis read)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import inprocess
from small_project import MODELS

HELPERS = """\
from .models import Order


def latest_order():
    return Order.objects.last()
"""

VIEWS = """\
from .helpers import latest_order
from .models import send_receipt


def view():
    send_receipt.delay(latest_order())
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "shop").mkdir(parents=True)
    (root / "manage.py").write_text("")
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS)
    (root / "shop" / "helpers.py").write_text(HELPERS)
    (root / "shop" / "views.py").write_text(VIEWS)
    return root


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("PKIFY_CACHE_DIR", str(directory))
    return directory


def check(project: Path, *args: str) -> subprocess.CompletedProcess:
    # In this process (tests/inprocess.py): each run opens the project again and reads the cache
    # from disk, as a new process does.
    return inprocess.run(["check", *args, "."], cwd=project, text=True)


def touch(path: Path) -> None:
    """A new mtime, so that the cache must look at the content."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_warm_run_repeats_the_cold_one(project: Path, cache_dir: Path) -> None:
    cold = check(project)
    assert cold.returncode == 1 and "views.py:6:24: CEL101" in cold.stdout
    assert len(list(cache_dir.glob("*.pickle"))) == 2
    warm = check(project)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_editing_the_checked_file(project: Path, cache_dir: Path) -> None:
    check(project)
    views = project / "shop" / "views.py"
    views.write_text(VIEWS.replace("latest_order())", "latest_order().pk)"))
    touch(views)
    assert check(project).returncode == 0


def test_editing_the_body_of_a_function_the_analysis_read(project: Path, cache_dir: Path) -> None:
    assert check(project).returncode == 1
    helpers = project / "shop" / "helpers.py"
    helpers.write_text(HELPERS.replace("Order.objects.last()", "Order.objects.last().pk"))
    touch(helpers)
    assert check(project).returncode == 0, "views.py's result depended on helpers.py's body"


def test_editing_a_declaration_elsewhere(project: Path, cache_dir: Path) -> None:
    assert check(project).returncode == 1
    models = project / "shop" / "models.py"
    models.write_text(MODELS.replace("@shared_task\n", ""))  # no longer a task
    touch(models)
    assert check(project).returncode == 0


def test_settings_are_part_of_the_key(project: Path, cache_dir: Path) -> None:
    assert check(project).returncode == 1
    assert check(project, "--ignore", "CEL101").returncode == 0
    (project / "pyproject.toml").write_text('[tool.pkify]\nignore = ["CEL1"]\n')
    assert check(project).returncode == 0


def test_a_file_that_stops_parsing_and_one_that_goes(project: Path, cache_dir: Path) -> None:
    check(project)
    (project / "shop" / "helpers.py").write_text("def broken(:\n")
    result = check(project)
    assert "shop/helpers.py: error: syntax error" in result.stderr
    (project / "shop" / "helpers.py").unlink()
    result = check(project)
    assert result.stderr == "" and result.returncode == 0  # the import no longer resolves: silent


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "other-version", "lose-summaries"])
def test_a_damaged_cache_is_ignored(project: Path, cache_dir: Path, damage: str) -> None:
    cold = check(project)
    files = sorted(cache_dir.glob("*.pickle"))
    main = next(p for p in files if not p.name.endswith(".summaries.pickle"))
    summaries = next(p for p in files if p.name.endswith(".summaries.pickle"))
    if damage == "delete":
        for path in files:
            path.unlink()
    elif damage == "garbage":
        main.write_bytes(b"not a pickle at all")
        summaries.write_bytes(b"\x80\x04garbage")
    elif damage == "truncate":
        main.write_bytes(main.read_bytes()[:20])
    elif damage == "other-version":
        import pickle

        data = pickle.loads(main.read_bytes())
        data["version"] = "0.0.0-old"
        main.write_bytes(pickle.dumps(data))
    else:
        summaries.unlink()
        (project / "shop" / "views.py").write_text(VIEWS + "\n")  # something must be analysed again
    warm = check(project)
    assert "Traceback" not in warm.stderr and "internal error" not in warm.stderr, warm.stderr
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert check(project).stdout == cold.stdout  # and the rewritten cache works


def test_no_cache(project: Path, cache_dir: Path) -> None:
    check(project, "--no-cache")
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_summaries_of_another_shape_are_rebuilt(project: Path, cache_dir: Path) -> None:
    """A cache written by a pkify whose summaries had other fields (same version number) is
    not misread: the summaries are made again."""
    import pickle

    cold = check(project)
    summaries = next(cache_dir.glob("*.summaries.pickle"))
    data = pickle.loads(summaries.read_bytes())
    data["format"] = (("ModuleSummary", ("name",)),)
    summaries.write_bytes(pickle.dumps(data))
    (project / "shop" / "views.py").write_text(VIEWS + "\n")  # something must be analysed again
    warm = check(project)
    assert "Traceback" not in warm.stderr and (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)


def test_a_cache_written_by_other_code_of_the_same_version_is_not_read(
    project: Path, cache_dir: Path, monkeypatch
) -> None:
    """Installs from two commits share a version number: the cache also says which code wrote it
    (a digest of pkify's sources), so results of older rules are never read by newer ones."""
    from pkify.project import cache as cache_module

    check(project)
    main = next(p for p in cache_dir.glob("*.pickle") if not p.name.endswith(".summaries.pickle"))

    def load() -> "cache_module.Cache":
        loaded = cache_module.Cache(main)
        loaded._load()
        return loaded

    assert load().files and load().results
    monkeypatch.setattr(cache_module, "code_version", lambda: cache_module.__version__ + "+other")
    assert not load().files and not load().results


NOTIFY = """\
from .models import send_receipt


def notify(order):
    send_receipt.delay(order)
"""

CALLER = """\
from .helpers import notify
from .models import Order


def pay(pk):
    notify(Order.objects.get(pk=pk))
"""

OTHER = """\
def total(rows):
    return sum(rows)
"""


@pytest.fixture
def callers(project: Path) -> Path:
    """helpers.notify's parameter is a row because its one caller (pay.py) passes one."""
    (project / "shop" / "views.py").unlink()
    (project / "shop" / "helpers.py").write_text(NOTIFY)
    (project / "shop" / "pay.py").write_text(CALLER)
    (project / "reports").mkdir()
    (project / "reports" / "__init__.py").write_text("")
    (project / "reports" / "other.py").write_text(OTHER)
    return project


def analysed(monkeypatch) -> list:
    """The files the next runs analyse (rather than take from the cache)."""
    from pkify.api import Session

    seen: list = []
    original = Session._analyse

    def spy(self, path, source, display):
        seen.append(Path(display).name)
        return original(self, path, source, display)

    monkeypatch.setattr(Session, "_analyse", spy)
    return seen


def test_a_new_caller_anywhere_is_seen(callers: Path, cache_dir: Path) -> None:
    assert "helpers.py:5:24: CEL101" in check(callers).stdout
    other = callers / "reports" / "other.py"
    other.write_text(OTHER + "\n\ndef refund(order):\n    from shop.helpers import notify\n    notify(order.pk)\n")
    touch(other)
    assert check(callers).returncode == 0, "a file that starts calling notify() is one of its callers"


def test_an_edit_that_calls_nothing_new_leaves_results_that_did_not_read_it(
    callers: Path, cache_dir: Path, monkeypatch
) -> None:
    assert check(callers).returncode == 1
    seen = analysed(monkeypatch)
    other = callers / "reports" / "other.py"
    other.write_text(OTHER.replace("    return", "    rows = rows or []\n    return"))
    touch(other)
    assert check(callers).returncode == 1
    assert "helpers.py" not in seen, "helpers.py's result did not read other.py, which calls nothing new"
    caller = callers / "shop" / "pay.py"
    caller.write_text(CALLER.replace("pk=pk))", "pk=pk).pk)"))
    touch(caller)
    assert check(callers).returncode == 0
    assert "helpers.py" in seen, "helpers.py's result read its caller"


def test_a_warm_run_reads_what_noqa_silences_from_the_cache(project: Path, cache_dir: Path, monkeypatch) -> None:
    views = project / "shop" / "views.py"
    views.write_text(VIEWS + "\n\ndef again():\n    send_receipt.delay(latest_order())  # noqa: CEL101\n")
    touch(views)
    cold = check(project)
    assert cold.stdout.count("CEL101") == 1 and "views.py:6:24" in cold.stdout

    import pkify.project.noqa as noqa

    def tokenize(*args):
        raise AssertionError("a warm run tokenized a file to read its # noqa comments")

    monkeypatch.setattr(noqa, "_logical_lines", tokenize)
    warm = check(project)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)


def test_an_edit_that_keeps_a_probe_answer_keeps_the_result(callers: Path, cache_dir: Path, monkeypatch) -> None:
    """helpers.py's result asked its package's modules whether they pass `notify` around: an
    edit to one of them that does not change the answer keeps the result; one that does, not."""
    neighbour = callers / "shop" / "audit.py"
    head = "from . import helpers\n\n\ndef log(rows):\n"
    neighbour.write_text(head + "    return rows\n")
    assert check(callers).returncode == 1
    seen = analysed(monkeypatch)
    neighbour.write_text(head + "    rows = rows or []\n    return rows\n")
    touch(neighbour)
    assert check(callers).returncode == 1
    assert "helpers.py" not in seen, "audit.py still does not use notify as a value"
    neighbour.write_text(head + "    callbacks = [helpers.notify]\n    return rows\n")
    touch(neighbour)
    assert check(callers).returncode == 0, "notify is passed around now: its callers say nothing of its parameter"
    assert "helpers.py" in seen


def test_a_callback_kept_elsewhere_later_is_seen(callers: Path, cache_dir: Path) -> None:
    """notify is handed to `run(callback=...)`, which only calls it: its callers are there. A
    module that starts keeping it in a function's body (`callbacks = [helpers.notify]`, an edit
    that changes no declaration) makes its parameter unknown again."""
    runner = callers / "shop" / "runner.py"
    runner.write_text("KEPT = []\n\n\ndef run(order, callback=None):\n    if callback:\n        callback(order)\n")
    caller = callers / "shop" / "pay.py"
    caller.write_text(
        CALLER.replace("notify(Order.objects.get(pk=pk))", "run(Order.objects.get(pk=pk), callback=notify)").replace(
            "from .models import Order", "from .models import Order\nfrom .runner import run"
        )
    )
    later = callers / "shop" / "zlog.py"  # after pay.py, where notify is first used as a value
    head = "from . import helpers\n\n\ndef log(rows):\n"
    later.write_text(head + "    return rows\n")
    assert "helpers.py:5:24: CEL101" in check(callers).stdout
    later.write_text(head + "    callbacks = [helpers.notify]\n    return rows\n")
    touch(later)
    assert check(callers).returncode == 0, "zlog.py keeps notify now: something pkify does not see calls it"
    later.write_text(head + "    return rows\n")
    touch(later)
    assert "helpers.py:5:24: CEL101" in check(callers).stdout
    runner.write_text("KEPT = []\n\n\ndef run(order, callback=None):\n    KEPT.append(callback)\n")
    touch(runner)
    assert check(callers).returncode == 0, "run() keeps the callback now instead of calling it"


def test_a_member_another_class_comes_to_declare_is_seen(project: Path, cache_dir: Path) -> None:
    """A parameter nothing calls is a row of the one model that declares a member used on it
    (`InferenceState.parameter_from_uses`): a class in another file that comes to declare that
    member too makes it unknown again on a warm run, and taking the class away brings it back."""
    models = project / "shop" / "models.py"
    models.write_text(MODELS.replace("    number = models.CharField(max_length=20)\n", ORDER_METHOD))
    (project / "shop" / "handlers.py").write_text(HANDLER)
    other = project / "shop" / "reports.py"
    other.write_text("TITLE = 'reports'\n")
    assert "handlers.py:6:24: CEL101" in check(project).stdout
    other.write_text("class Report:\n    def recount_lines(self):\n        pass\n")
    touch(other)
    assert "handlers.py" not in check(project).stdout, "Report declares recount_lines too"
    other.write_text("TITLE = 'reports'\n")
    touch(other)
    assert "handlers.py:6:24: CEL101" in check(project).stdout


ORDER_METHOD = """\
    number = models.CharField(max_length=20)

    def recount_lines(self):
        pass
"""

HANDLER = """\
from .models import send_receipt


def refreshed(order):
    order.recount_lines()
    send_receipt.delay(order)
"""


# --- edits inside one function (see `project.regions`) -----------------------------------------

SENDS = """\
from .helpers import latest_order
from .models import Order, send_receipt


def unrelated(rows):
    return rows


def view():
    order = Order.objects.get(pk=1)
    send_receipt.delay(order)
"""


def uncached(project: Path) -> str:
    return check(project, "--no-cache").stdout


def test_an_edit_inside_a_function_the_analysis_did_not_read_moves_the_findings(
    project: Path, cache_dir: Path, monkeypatch
) -> None:
    views = project / "shop" / "views.py"
    views.write_text(SENDS)
    cold = check(project)
    assert "views.py:11:24: CEL101" in cold.stdout and "line 10" in cold.stdout
    seen = analysed(monkeypatch)
    views.write_text(SENDS.replace("    return rows\n", "    rows = rows or []\n    rows = rows[1:]\n    return rows\n"))
    touch(views)
    warm = check(project)
    assert seen == [], "the edited function sends nothing and the analysis did not read it"
    assert "views.py:13:24: CEL101" in warm.stdout and "line 12" in warm.stdout, warm.stdout
    assert warm.stdout == uncached(project)
    seen.clear()
    assert check(project).stdout == warm.stdout and seen == []  # kept moved


def test_an_edit_inside_a_function_that_starts_sending_is_analysed(project: Path, cache_dir: Path, monkeypatch) -> None:
    views = project / "shop" / "views.py"
    views.write_text(SENDS)
    assert check(project).stdout.count("CEL101") == 1
    seen = analysed(monkeypatch)
    views.write_text(SENDS.replace("    return rows\n", "    send_receipt.delay(latest_order())\n    return rows\n"))
    touch(views)
    warm = check(project)
    assert seen == ["views.py"] and warm.stdout.count("CEL101") == 2
    assert warm.stdout == uncached(project)


def test_an_edit_that_writes_a_noqa_comment_is_not_moved_past(project: Path, cache_dir: Path) -> None:
    views = project / "shop" / "views.py"
    views.write_text(SENDS)
    assert check(project).returncode == 1
    views.write_text(SENDS.replace("    return rows\n", "    # flake8: noqa\n    return rows\n"))
    touch(views)
    assert check(project).returncode == 0, "a line `# flake8: noqa` anywhere skips the file"


def test_an_edit_outside_every_function_of_the_checked_file_is_analysed(
    project: Path, cache_dir: Path, monkeypatch
) -> None:
    views = project / "shop" / "views.py"
    views.write_text(SENDS)
    check(project)
    seen = analysed(monkeypatch)
    views.write_text(SENDS.replace("\n\ndef view", "\n# Views.\n\n\ndef view"))  # no declaration
    touch(views)
    assert "views.py:13:24: CEL101" in check(project).stdout and seen == ["views.py"]


def test_an_edit_inside_another_function_of_a_file_the_analysis_read(
    project: Path, cache_dir: Path, monkeypatch
) -> None:
    helpers = project / "shop" / "helpers.py"
    helpers.write_text(HELPERS + "\n\ndef unrelated(rows):\n    return rows\n")
    assert check(project).returncode == 1
    seen = analysed(monkeypatch)
    helpers.write_text(HELPERS + "\n\ndef unrelated(rows):\n    rows = rows or []\n    return rows\n")
    touch(helpers)
    assert check(project).returncode == 1 and seen == [], "views.py read latest_order(), not unrelated()"
    helpers.write_text(
        HELPERS.replace("Order.objects.last()", "Order.objects.last().pk")
        + "\n\ndef unrelated(rows):\n    rows = rows or []\n    return rows\n"
    )
    touch(helpers)
    assert check(project).returncode == 0 and "views.py" in seen


def test_a_new_call_in_another_function_of_a_module_that_calls_already(
    callers: Path, cache_dir: Path, monkeypatch
) -> None:
    """pay.py calls notify() already: a second call, in another of its functions, changes no
    name it calls; the result that looked for notify's callers read which functions call it."""
    caller = callers / "shop" / "pay.py"
    caller.write_text(CALLER + "\n\ndef later():\n    Order.objects.get(pk=2)\n")
    assert check(callers).returncode == 1
    caller.write_text(CALLER + "\n\ndef later():\n    notify(Order.objects.get(pk=2).pk)\n")
    touch(caller)
    assert check(callers).returncode == 0, "later() passes notify() a key: its parameter is not always a row"


INHERITED = """\
from .models import Order, send_receipt


class Base:
    def run(self):
        self.notify(Order.objects.get(pk=1))

    def other(self):
        Order.objects.get(pk=2)


class Child(Base):
    def notify(self, order):
        send_receipt.delay(order)
"""


def test_a_new_self_call_in_a_method_of_a_base_class(project: Path, cache_dir: Path) -> None:
    (project / "shop" / "views.py").write_text(INHERITED)
    assert "views.py:14:28: CEL101" in check(project).stdout
    views = project / "shop" / "views.py"
    views.write_text(INHERITED.replace("        Order.objects.get(pk=2)\n", "        self.notify(Order.objects.get(pk=2).pk)\n"))
    touch(views)
    assert check(project).returncode == 0, "other() passes notify() a key now"


def test_summaries_of_an_edit_go_to_a_small_file_until_the_index_is_needed(project: Path, cache_dir: Path) -> None:
    views = project / "shop" / "views.py"
    views.write_text(SENDS)
    check(project)
    (summaries,) = cache_dir.glob("*.summaries.pickle")
    written = summaries.stat().st_mtime_ns
    views.write_text(SENDS.replace("    return rows\n", "    rows = rows or []\n    return rows\n"))
    touch(views)
    check(project)
    assert summaries.stat().st_mtime_ns == written and len(list(cache_dir.glob("*.recent.pickle"))) == 1
    helpers = project / "shop" / "helpers.py"
    helpers.write_text(HELPERS.replace("def latest_order():", "def latest_order(limit=1):"))  # a declaration
    touch(helpers)
    assert check(project).stdout == uncached(project)
    assert not list(cache_dir.glob("*.recent.pickle")) and summaries.stat().st_mtime_ns != written
    views.write_text(SENDS.replace("order = Order.objects.get(pk=1)", "order = latest_order()"))
    touch(views)
    assert check(project).stdout == uncached(project)
