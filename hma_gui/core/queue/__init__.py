"""The shared job queue: one interface (`JobQueue`), two backends (local job store, SQS).

`open_queue(settings, …)` builds the configured one; `messages_for` turns
planned jobs into messages; `QueueWorker` consumes them: the
`UploadExecutor` fed through `DeliverySource` (the queue as its job source and
sink), each delivery checked first by `DeliveryCheck`. See docs/service.md.
"""
