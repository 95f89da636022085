/// A parsed expression compiled for a Pike VM: every thread advances one scalar at a time in
/// priority order, so matching is linear in the input times the program (no backtracking,
/// no blow-up), and the leftmost match that Go's leftmost-first rule prefers wins.
struct GoRegexProgram: Sendable {
    enum Instruction: Sendable {
        case scalar(Unicode.Scalar)
        case set(GoRegexSet)
        case any(newline: Bool)
        case split(Int, Int)
        case jump(Int)
        case save(Int)
        case assertion(GoRegexAssertion)
        case match
    }

    /// Instructions one expression may compile to (`(a{1000}){1000}` is refused, not built).
    static let maximumInstructions = 100_000

    private(set) var instructions: [Instruction] = []
    let slotCount: Int

    init(_ node: GoRegexNode, groups: Int) throws(GoRegexError) {
        slotCount = 2 * groups
        try emit(.save(0))
        try compile(node)
        try emit(.save(1))
        try emit(.match)
    }

    private mutating func emit(_ instruction: Instruction) throws(GoRegexError) {
        guard instructions.count < Self.maximumInstructions else {
            throw GoRegexError(message: "expression too large", pattern: "")
        }
        instructions.append(instruction)
    }

    private mutating func compile(_ node: GoRegexNode) throws(GoRegexError) {
        switch node {
        case .empty: break
        case .scalar(let s, let fold):
            let variants = fold ? GoRegexSet.caseVariants(s) : []
            if variants.isEmpty { try emit(.scalar(s)) } else {
                try emit(.set(GoRegexSet(ranges: ([s] + variants).map { $0.value...$0.value }).normalized()))
            }
        case .set(let set): try emit(.set(set.normalized()))
        case .any(let newline): try emit(.any(newline: newline))
        case .assertion(let a): try emit(.assertion(a))
        case .capture(let index, let inner):
            try emit(.save(2 * index))
            try compile(inner)
            try emit(.save(2 * index + 1))
        case .concat(let items):
            for item in items { try compile(item) }
        case .alternate(let branches):
            // split L1, next; L1: a; jump end; next: split L2, ... ; last: z
            var jumps: [Int] = []
            for (i, branch) in branches.enumerated() {
                if i < branches.count - 1 {
                    let split = instructions.count
                    try emit(.split(split + 1, 0))
                    try compile(branch)
                    jumps.append(instructions.count)
                    try emit(.jump(0))
                    instructions[split] = .split(split + 1, instructions.count)
                } else {
                    try compile(branch)
                }
            }
            for jump in jumps { instructions[jump] = .jump(instructions.count) }
        case .repeating(let inner, let min, let max, let greedy):
            // Go's simplification: an empty expression repeated is empty; x** is x*.
            if case .empty = inner { return }
            if case .repeating(_, let innerMin, let innerMax, let innerGreedy) = inner, innerMin == min, innerMax == max,
               innerGreedy == greedy, (min, max) == (0, nil) || (min, max) == (1, nil) || (min, max) == (0, 1) {
                try compile(inner)
                return
            }
            guard let max else {
                // x{n,} is n-1 copies of x, then x+ (x* when n is 0).
                if min == 0 { try star(inner, greedy: greedy); return }
                for _ in 1..<min { try compile(inner) }
                try plus(inner, greedy: greedy)
                return
            }
            for _ in 0..<min { try compile(inner) }
            // Each optional copy nests in the one before: x{2,4} is xx(x(x)?)?
            var splits: [Int] = []
            for _ in min..<max {
                splits.append(instructions.count)
                try emit(.split(0, 0))
                try compile(inner)
            }
            for split in splits { patch(split, body: split + 1, exit: instructions.count, greedy: greedy) }
        }
    }

    /// x+: the body, then a split back to it.
    private mutating func plus(_ inner: GoRegexNode, greedy: Bool) throws(GoRegexError) {
        let body = instructions.count
        try compile(inner)
        let loop = instructions.count
        try emit(.split(0, 0))
        patch(loop, body: body, exit: instructions.count, greedy: greedy)
    }

    /// x*: a loop; when x can match empty, (x+)? as Go compiles it (golang.org/issue/46123),
    /// which decides which of several empty matches wins.
    private mutating func star(_ inner: GoRegexNode, greedy: Bool) throws(GoRegexError) {
        let skip = instructions.count
        try emit(.split(0, 0))
        if Self.nullable(inner) {
            try plus(inner, greedy: greedy)
        } else {
            try compile(inner)
            try emit(.jump(skip))
        }
        patch(skip, body: skip + 1, exit: instructions.count, greedy: greedy)
    }

    private static func nullable(_ node: GoRegexNode) -> Bool {
        switch node {
        case .empty, .assertion: true
        case .scalar, .set, .any: false
        case .capture(_, let inner): nullable(inner)
        case .concat(let items): items.allSatisfy(nullable)
        case .alternate(let branches): branches.contains(where: nullable)
        case .repeating(let inner, let min, _, _): min == 0 || nullable(inner)
        }
    }

    private mutating func patch(_ at: Int, body: Int, exit: Int, greedy: Bool) {
        instructions[at] = greedy ? .split(body, exit) : .split(exit, body)
    }
}

extension GoRegexProgram {
    /// The slots (start and end of the match and of every group, -1 when unset) of the
    /// leftmost-first match starting at or after `from`, nil when none. `budget` counts the
    /// steps left; running out is an error, never a wrong answer.
    func firstMatch(_ input: [Unicode.Scalar], from: Int, budget: inout Int) throws(GoRegexError) -> [Int]? {
        var current = ThreadList(size: instructions.count), next = ThreadList(size: instructions.count)
        var matched: [Int]? = nil
        var position = from
        let empty = [Int](repeating: -1, count: slotCount)
        while true {
            if matched == nil {
                try add(&current, pc: 0, slots: empty, at: position, input, &budget)
            }
            if current.threads.isEmpty {
                // A start that failed an assertion (`\bx`, `^x`) may pass further on.
                if matched != nil || position >= input.count { break }
                current.clear()
                position += 1
                continue
            }
            let scalar: Unicode.Scalar? = position < input.count ? input[position] : nil
            for thread in current.threads {
                budget -= 1
                var advances = false
                switch instructions[thread.pc] {
                case .match:
                    matched = thread.slots
                case .scalar(let s):
                    if let scalar { advances = scalar == s }
                case .set(let set):
                    if let scalar { advances = set.contains(scalar) }
                case .any(let newline):
                    if let scalar { advances = newline || scalar != "\n" }
                default:
                    break
                }
                if case .match = instructions[thread.pc] { break }
                if advances { try add(&next, pc: thread.pc + 1, slots: thread.slots, at: position + 1, input, &budget) }
            }
            guard budget >= 0 else { throw GoRegexError.workLimit }
            if position >= input.count { break }
            swap(&current, &next)
            next.clear()
            position += 1
        }
        return matched
    }

    /// Adds a thread and follows its jumps, splits, saves and assertions, highest priority
    /// first, without recursion.
    private func add(_ list: inout ThreadList, pc: Int, slots: [Int], at position: Int, _ input: [Unicode.Scalar], _ budget: inout Int) throws(GoRegexError) {
        var stack: [(Int, [Int])] = [(pc, slots)]
        while let (pc, slots) = stack.popLast() {
            guard list.mark(pc) else { continue }
            budget -= 1
            switch instructions[pc] {
            case .jump(let target):
                stack.append((target, slots))
            case .split(let first, let second):
                stack.append((second, slots))
                stack.append((first, slots))
            case .save(let slot):
                var slots = slots
                slots[slot] = position
                stack.append((pc + 1, slots))
            case .assertion(let assertion):
                if holds(assertion, at: position, input) { stack.append((pc + 1, slots)) }
            default:
                list.threads.append(Thread(pc: pc, slots: slots))
            }
        }
        guard budget >= 0 else { throw GoRegexError.workLimit }
    }

    private func holds(_ assertion: GoRegexAssertion, at position: Int, _ input: [Unicode.Scalar]) -> Bool {
        let before: Unicode.Scalar? = position > 0 ? input[position - 1] : nil
        let after: Unicode.Scalar? = position < input.count ? input[position] : nil
        func isWord(_ s: Unicode.Scalar?) -> Bool {
            guard let s else { return false }
            return GoRegexSet.word.contains { $0.contains(s.value) }
        }
        switch assertion {
        case .beginText: return before == nil
        case .endText: return after == nil
        case .beginLine: return before == nil || before == "\n"
        case .endLine: return after == nil || after == "\n"
        case .wordBoundary: return isWord(before) != isWord(after)
        case .notWordBoundary: return isWord(before) == isWord(after)
        }
    }

    private struct Thread {
        var pc: Int
        var slots: [Int]
    }

    /// The threads of one step, each instruction at most once (the first, highest-priority
    /// thread to reach it wins, which is what makes the match leftmost-first).
    private struct ThreadList {
        var threads: [Thread] = []
        private var seen: [Int]
        private var generation = 1

        init(size: Int) { seen = [Int](repeating: 0, count: size) }

        mutating func mark(_ pc: Int) -> Bool {
            guard seen[pc] != generation else { return false }
            seen[pc] = generation
            return true
        }

        mutating func clear() {
            threads.removeAll(keepingCapacity: true)
            generation += 1
        }
    }
}
