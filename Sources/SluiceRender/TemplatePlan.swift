/// A manifest template split, for one release and add-on with its values, into output that
/// is the same on every cluster and the top-level nodes that must run per cluster: those that
/// read `.Cluster`, declare variables, or read variables declared before them. A workload
/// template that prints the cluster's name once renders, after the first cluster, as
/// constant text around that one action.
struct TemplatePlan: Sendable {
    enum Piece: Sendable {
        case text(String)
        /// The index of a top-level node of the template's body.
        case node(Int)
    }

    var pieces: [Piece] = []

    /// Whether every piece is text: the output is then the same on every such cluster.
    var isConstant: Bool {
        pieces.allSatisfy { if case .text = $0 { true } else { false } }
    }

    mutating func append(text: String) {
        guard !text.isEmpty else { return }
        if case .text(let previous)? = pieces.last {
            pieces[pieces.count - 1] = .text(previous + text)
        } else {
            pieces.append(.text(text))
        }
    }
}
