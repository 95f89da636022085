import NIOCore

/// The server's tasks run on its own event loop thread, which runs at the lowest priority
/// (`HTTPServer`): requests, routing, reads and rendering answers, not only their I/O. On
/// Swift's shared pool (as many threads as cores) they would take turns with the controller's
/// work at its priority; here they get what the controller leaves. Set as the task executor
/// preference of the server's task, which its connections' child tasks inherit (SE-0417).
final class EventLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
