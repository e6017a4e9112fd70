"""moto's server, with each DynamoDB request made atomic the way DynamoDB's are.

moto serves requests on threads and evaluates a ConditionExpression and applies the write as two
steps with no lock between them, so two racing conditional writes can both succeed there (measured:
UpdateItem 4 rounds in 40, TransactWriteItems 11 in 40, PutItem rarely). DynamoDB guarantees the
opposite, and agent-runner's "never launched twice" rests on that guarantee. This runs moto
unchanged except that its DynamoDB operations take one lock, so the emulator keeps the promise the
real service makes; that RunTask honours its clientToken as ECS does; and that a long poll of a
FIFO queue sees a message group free up while it waits; and that a stack made or changed by a change
set reports its outputs, as CloudFormation's does (moto computes them only in CreateStack and
UpdateStack). The other changes are for speed alone and
change no answer: no line logged per request, moto's list of its own modules read once rather than
from disk on every request (together about 15 % of the server's CPU under the test suites), and a
received message's retention checked without counting the whole queue.
Started by test/support/moto.ts.
"""

import functools
import logging
import os
import sys
import threading
import time

from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto import backends
from moto.server import main
from moto.core.utils import unix_time
from moto.sqs.models import SQSBackend

_one_at_a_time = threading.RLock()


def _atomic(operation):
    def run(self, *args, **kwargs):
        with _one_at_a_time:
            return operation(self, *args, **kwargs)

    run.__name__ = operation.__name__
    return run


for _name in (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
    "get_item",
    "batch_get_item",
    "query",
    "scan",
):
    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))

# RunTask's clientToken: ECS answers a request it has seen before (same token) with the task it
# started then, so a retried or repeated launch starts nothing new; moto ignores the token. SDK
# retries of a slow answer and a dispatcher taking over a stale claim both repeat the token.
_tasks_by_token = {}
_run_task = EC2ContainerServiceResponse.run_task


def _run_task_once_per_token(self):
    token = self._get_param("clientToken")
    if not token:
        return _run_task(self)
    key = (self.current_account, self.region, token)
    with _one_at_a_time:
        if key not in _tasks_by_token:
            _tasks_by_token[key] = _run_task(self).result
        return ActionResult(_tasks_by_token[key])


EC2ContainerServiceResponse.run_task = _run_task_once_per_token

# FIFO long polls: moto snapshots the message groups in flight when a ReceiveMessage starts and
# keeps skipping them for the whole wait, so a message whose group frees up meanwhile waits up to
# WaitTimeSeconds (SQS delivers it at once); and with such a message visible it waits by spinning,
# which starves every other request the server is answering. A long poll of a FIFO queue is served
# here as short polls: 20 ms apart while a message is visible but its group is in flight, and
# otherwise a wait (as moto's own) until a message becomes visible, so an idle queue costs nothing.
_receive_message = SQSBackend.receive_message
_FIFO_POLL_SECONDS = 0.02


def _receive_message_fifo_aware(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
    queue = self.get_queue(queue_name)
    if not wait_seconds_timeout or not queue.fifo_queue:
        return _receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names)
    deadline = time.monotonic() + wait_seconds_timeout
    while True:
        received = _receive_message(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
        left = deadline - time.monotonic()
        if received or left <= 0:
            return received
        if queue.messages:
            time.sleep(min(_FIFO_POLL_SECONDS, left))
        else:
            queue.wait_for_messages(min(1, left))


SQSBackend.receive_message = _receive_message_fifo_aware

# ExecuteChangeSet: moto applies the resources but keeps the outputs the stack had before (none, for
# a stack created by a change set). CloudFormation reports the outputs of the template applied.
# Patched when moto first loads its CloudFormation module: importing it imports every service's
# models, which would slow every server's start-up by seconds.
def _patch_change_sets():
    from moto.cloudformation.models import ChangeSet
    from moto.cloudformation.parsing import OutputMap

    apply = ChangeSet.apply

    def _apply_with_outputs(self):
        apply(self)
        self.stack.output_map = OutputMap(self.stack.resource_map, self.template_dict, self.stack.stack_id)

    ChangeSet.apply = _apply_with_outputs


_import_backend = backends._import_backend
_patched_modules = set()


def _import_backend_patched(module_name, backends_name):
    imported = _import_backend(module_name, backends_name)
    if module_name == "cloudformation" and module_name not in _patched_modules:
        _patched_modules.add(module_name)
        _patch_change_sets()
    return imported


backends._import_backend = _import_backend_patched

# Speed only. werkzeug logs every request at INFO to stderr, which the test harness discards; and
# moto routes each request by asking whether its Host names one of its modules, listing its package
# directory from disk every time. The list does not change while the server runs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)
_moto_modules = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = functools.partial(iter, _moto_modules)


# Speed only. Receiving a message checks its retention period by building all of the queue's
# attributes, which counts every message in the queue, three times over: a receive from a queue
# of n messages cost O(n) per message delivered. The period itself is a plain field of the queue.
def _retained(self, queue_name, message):
    period = int(self.get_queue(queue_name).message_retention_period)
    return period + message.sent_timestamp / 1000 > unix_time()


SQSBackend.is_message_valid_based_on_retention_period = _retained


# A test run killed without its teardown (Ctrl-C twice, SIGKILL) would leave this server behind.
def _exit_with_parent(parent):
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    main(sys.argv[1:])
