# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: progress
type: stdout
short_description: Default output, with one live view of the resources being awaited
version_added: 0.1.0
description:
  - Prints what C(ansible.builtin.default) prints, except the C(FAILED - RETRYING) line of
    every poll of a wait task. While slow resources (RDS, ElastiCache, NAT gateways, the
    ALB, the ECS service) are awaited it shows instead, per resource, its current state,
    the time spent waiting and the typical duration on AWS (C(data/wait_durations.yml)),
    and once ready how long it took.
  - On a terminal the view is redrawn in place at every poll; when the output is not a
    terminal (CI logs) it prints plain lines, when a state changes and at most every
    O(interval) seconds otherwise.
  - The resources and states are read from the polled module's result (C(rds_instance_info),
    C(elasticache_replication_group_info), C(ec2_vpc_nat_gateway_info),
    C(elb_application_lb_info), C(ecs_service_info)); any other retried task is shown by its
    name. Results hidden with C(no_log) are never read.
  - With C(-vv) or more every poll is printed with its result, as by the default callback.
author:
  - CredLink platform team (@credlink)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in ansible.cfg (the collection's ansible.cfg does)
options:
  mode:
    description:
      - C(auto) redraws in place on a terminal and prints lines otherwise; C(live) and
        C(lines) force one of them; C(off) shows nothing while waiting, not even the retries.
    type: str
    default: auto
    choices: [auto, live, lines, 'off']
    env:
      - name: CREDLINK_PROGRESS
    ini:
      - section: credlink_progress
        key: mode
  interval:
    description: Seconds between two lines for an unchanged wait when printing lines.
    type: int
    default: 60
    env:
      - name: CREDLINK_PROGRESS_INTERVAL
    ini:
      - section: credlink_progress
        key: interval
"""

import os
import sys
import time

from ansible.plugins.callback.default import CallbackModule as DefaultCallback

from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import Progress
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import load_durations
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import pending_from_result

# Cursor to the start of the line N lines up, then erase to the end of the screen.
ERASE_LINES = "\x1b[{}F\x1b[J"


def choose_mode(setting: str, is_tty: bool, term: str) -> str:
    if setting != "auto":
        return setting
    return "live" if is_tty and term not in ("", "dumb") else "lines"


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "credlink.infra.progress"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress = Progress(load_durations())
        self._mode = "lines"
        self._interval = 60
        self._drawn = 0
        self._last_line_at = {}

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._mode = choose_mode(self.get_option("mode"), sys.stdout.isatty(), os.environ.get("TERM", ""))
        self._interval = self.get_option("interval")

    # The live view is always the last thing on screen: erase it before anything else prints.

    def _erase(self):
        if self._drawn:
            self._display.display(ERASE_LINES.format(self._drawn), newline=False, screen_only=True)
            self._drawn = 0

    def _draw(self):
        self._erase()
        rows = self._progress.lines()
        if rows:
            self._display.display("\n".join([self._progress.header(), *rows]), screen_only=True)
            self._drawn = len(rows) + 1

    def _print_lines(self, key, state_changed):
        now = time.monotonic()
        if state_changed or now - self._last_line_at.get(key, 0) >= self._interval:
            self._last_line_at[key] = now
            for row in self._progress.lines():
                self._display.display("waiting:" + row[1:])

    @staticmethod
    def _key(result):
        return (result.host.get_name(), result.task._uuid)

    @staticmethod
    def _pending(result):
        # task.action, not resolved_action: the latter warns outside on_ok/on_failed, and the
        # extractors only look at the module's own name.
        return pending_from_result(result.task.action, result.task_name, result.result)

    def _settle(self, result):
        """The task ended: drop its wait and say how long it took, if it had to poll."""
        self._erase()
        key = self._key(result)
        self._last_line_at.pop(key, None)
        wait = self._progress.waits.get(key)
        final = self._pending(result) if wait and wait.attempt else None
        for line in self._progress.finish(key, final):
            self._display.display(line)
        if self._mode == "live":
            self._draw()

    def v2_runner_on_start(self, host, task):
        self._progress.start((host.get_name(), task._uuid), task.get_name())
        super().v2_runner_on_start(host, task)

    def v2_runner_retry(self, result):
        # Asked for with -vv: every poll with its full result, as the default callback prints it.
        if self._display.verbosity >= 2:
            self._erase()
            super().v2_runner_retry(result)
            return
        if self._mode == "off":
            return
        key = self._key(result)
        changed = self._progress.update(key, result.task_name, self._pending(result), result.result.get("attempts", 0),
                                        result.result.get("retries", 0))
        if self._mode == "live":
            self._draw()
        else:
            self._print_lines(key, changed)

    def v2_runner_on_ok(self, result):
        self._settle(result)
        super().v2_runner_on_ok(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._settle(result)
        super().v2_runner_on_failed(result, ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._settle(result)
        super().v2_runner_on_skipped(result)

    def v2_runner_on_unreachable(self, result):
        self._settle(result)
        super().v2_runner_on_unreachable(result)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._erase()
        super().v2_playbook_on_task_start(task, is_conditional)

    def v2_playbook_on_stats(self, stats):
        self._erase()
        super().v2_playbook_on_stats(stats)
