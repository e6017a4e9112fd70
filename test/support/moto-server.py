"""moto's server, with each DynamoDB request made atomic the way DynamoDB's are.

moto serves requests on threads and evaluates a ConditionExpression and applies the write as two
steps with no lock between them, so two racing conditional writes can both succeed there (measured:
UpdateItem 4 rounds in 40, TransactWriteItems 11 in 40, PutItem rarely). DynamoDB guarantees the
opposite, and agent-runner's "never launched twice" rests on that guarantee. This runs moto
unchanged except that its DynamoDB operations take one lock, so the emulator keeps the promise the
real service makes. Nothing else differs. Started by test/support/moto.ts.
"""

import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
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

if __name__ == "__main__":
    main(sys.argv[1:])
