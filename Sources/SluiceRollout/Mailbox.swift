/// The runner's one input stream: answers of actions, collected until the runner takes them
/// (all at once, so that one store transaction covers every answer that arrived together),
/// and wake-ups without an answer (a timer, a nudge from outside).
actor Mailbox<Event: Sendable> {
    private var items: [Event] = []
    private var waiter: CheckedContinuation<[Event], Never>?
    /// A wake-up came while nobody waited: the next `take` returns at once.
    private var woken = false

    /// Set once the runner is abandoned: `take` returns at once, with what there is.
    private var interrupted = false

    /// Wakes the runner waiting for answers (it is abandoned: no answer is waited for).
    func interrupt() {
        interrupted = true
        wake()
    }

    /// Wakes the runner without an answer: it looks at its timers, its branch and its commands.
    func wake() {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: items)
            items = []
        } else {
            woken = true
        }
    }

    func put(_ event: Event) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: items + [event])
            items = []
        } else {
            items.append(event)
        }
    }

    /// Every answer there is now, possibly none.
    func takeAvailable() -> [Event] {
        defer { items = [] }
        return items
    }

    /// Waits for at least one answer or a wake-up, and returns every answer there is.
    func take() async -> [Event] {
        if !items.isEmpty || interrupted || woken {
            woken = false
            defer { items = [] }
            return items
        }
        return await withCheckedContinuation { waiter = $0 }
    }
}
