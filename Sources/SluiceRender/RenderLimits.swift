import SluiceModel
import SluiceYAML

/// What rendering one (cluster, add-on) pair may cost: hostile or broken input (a template,
/// a meta-config value) stops at one of these with an error at its place, never with a
/// crash, a hang or gigabytes of memory. Each is far above what real add-ons use (the
/// README lists the largest `example-repo` and the benchmark fleet reach).
public enum RenderLimits {
    /// Nesting of a template's blocks (`if`, `range`, `with`, `define`) and parentheses.
    public static let templateNesting = 100
    /// Iterations of every `range` of one template file, includes counted in.
    public static let rangeIterations = 100_000
    /// A `printf` width or precision, an `indent`/`nindent` count.
    public static let width = 10_000
    /// Nesting of a value a template builds (`list`, `dict`).
    public static let valueNesting = ValueLimits.nesting
    /// Nodes of a value a template builds: a list that contains itself twice, doubled in a
    /// loop, is cheap to build and exponential to walk (print, compare, emit).
    public static let valueNodes = 1_000_000
    /// One template file's output, and any one string a template makes.
    public static let templateOutputBytes = 8 << 20
    /// All the templates of one add-on for one cluster.
    public static let pairOutputBytes = 32 << 20
    /// Keys one template file makes (`genCA`, `genPrivateKey`...): an RSA key's primes take
    /// tens of milliseconds to find (RSA-4096: up to a second).
    public static let keysMade = 32

    /// Which limit a template ran into (errors are told apart by this, not by their text).
    public enum Kind: String, Sendable, Equatable {
        case templateNesting, rangeIterations, width, valueNesting, valueNodes, templateOutputBytes, pairOutputBytes, integerRange, includeDepth, regexWork,
             keysMade
    }
}
