/// Why a model file could not be imported: the file, the key (an archive entry or a tensor
/// name) when one is to blame, what was wrong, what was expected and what was found, in the
/// style of `CheckpointError`. `details` lists every item when there are several (a layout
/// that does not fit names each missing, unused or misshapen key).
public struct ModelImportError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var key: String?
    public var problem: String
    public var expected: String
    public var found: String
    public var details: [String]

    public init(path: String, key: String? = nil, problem: String, expected: String, found: String, details: [String] = []) {
        self.path = path
        self.key = key
        self.problem = problem
        self.expected = expected
        self.found = found
        self.details = details
    }

    public var description: String {
        let place = key.map { "\(path) [\($0)]" } ?? path
        let head = "\(place): \(problem): expected \(expected), found \(found)"
        return details.isEmpty ? head : head + "\n" + details.map { "  - \($0)" }.joined(separator: "\n")
    }
}
