"""The shared job queue: one interface (`JobQueue`), two backends (local job store, SQS).

`open_queue(settings, …)` builds the configured one; `messages_for` turns
planned jobs into messages; `QueueWorker` with `QueueUploadHandler` consumes
them. See docs/service.md.
"""
