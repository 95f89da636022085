import Logging
import ServiceLifecycle
import Synchronization

/// The controller as a service of a `ServiceGroup`: a graceful shutdown (SIGTERM) stops it
/// as cancelling `Controller.run` does (no new action; what is in flight finishes and its
/// answers are written); cancelling the service (a second signal, or a graceful shutdown that
/// outlasts its limit) abandons the runners at once, and so the programs they started.
/// What the controller returned, or the error it threw, is kept for the caller.
public final class ControllerService: Service {
    public let controller: Controller
    private let onGracefulShutdown: @Sendable () -> Void
    private let result = Mutex<Result<[String: EnvironmentRunner.Outcome], any Error>?>(nil)

    /// `onGracefulShutdown`: what else stops when the group shuts down gracefully (the CLI
    /// stops the programs Sluice started: a check stopped so is not answered, and runs again
    /// after a restart).
    public init(_ controller: Controller, onGracefulShutdown: @escaping @Sendable () -> Void = {}) {
        self.controller = controller
        self.onGracefulShutdown = onGracefulShutdown
    }

    /// nil until `run` returns.
    public var outcome: Result<[String: EnvironmentRunner.Outcome], any Error>? { result.withLock { $0 } }

    public func run() async {
        let controller = self.controller, onGracefulShutdown = self.onGracefulShutdown
        let abandonment = Abandonment()
        let outcome: Result<[String: EnvironmentRunner.Outcome], any Error> = await withTaskCancellationHandler {
            do {
                return .success(try await withGracefulShutdownHandler {
                    try await cancelWhenGracefulShutdown { try await controller.run(abandonment: abandonment) }
                } onGracefulShutdown: {
                    onGracefulShutdown()
                })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            // The runners cancel their actions: the programs those started (checks,
            // credential plugins) are killed with them, children and all.
            abandonment.fire()
        }
        result.withLock { $0 = outcome }
    }
}
