"""moto's server, with each DynamoDB request made atomic the way DynamoDB's are.

moto serves requests on threads and evaluates a ConditionExpression and applies the write as two
steps with no lock between them, so two racing conditional writes can both succeed there (measured:
UpdateItem 4 rounds in 40, TransactWriteItems 11 in 40, PutItem rarely). DynamoDB guarantees the
opposite, and agent-runner's "never launched twice" rests on that guarantee. This runs moto
unchanged except that its DynamoDB operations take one lock, so the emulator keeps the promise the
real service makes, and that RunTask honours its clientToken as ECS does. Nothing else differs.
Started by test/support/moto.ts.
"""

import sys
import threading

from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.server import main

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

if __name__ == "__main__":
    main(sys.argv[1:])
