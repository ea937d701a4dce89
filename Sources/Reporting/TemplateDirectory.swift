import Foundation
import Mustache

/// Where the mustache templates (`report.md`, `table.tex`, `table.md`) come from: a folder
/// read at run time (the repository's top-level `templates/`, which users edit without a
/// build; SwiftPM resources would have to live inside a target), or the copy built into
/// the binary (`EmbeddedTemplates`, generated from `templates/`), so that an installed
/// `bmrs` renders reports anywhere.
public struct TemplateDirectory: Sendable, Equatable {
    /// The folder itself (…/templates); nil for the templates compiled into the binary.
    public let folder: URL?

    /// A folder taken as is, unchecked; prefer ``locate(explicitPath:requiring:currentDirectory:executable:)``.
    public init(url: URL) {
        self.folder = url.standardizedFileURL
    }

    private init(embedded: Void) { folder = nil }

    /// The default templates compiled into the binary (from the repository's `templates/`).
    public static let embedded = TemplateDirectory(embedded: ())

    /// Where templates come from, for messages.
    public var description: String { folder?.path ?? "the templates built into bmrs" }

    /// Finds the templates folder that holds `file`:
    /// - `explicitPath` given (e.g. `--templates PATH`): that folder only, no fallback;
    /// - otherwise `templates/` in `currentDirectory` and each folder above it, then in the
    ///   executable's folder and each folder above it (a build in `.build/debug/` finds
    ///   the repository's `templates/`), and else the templates built into the binary, so
    ///   an installed `bmrs` works anywhere.
    ///
    /// - Throws: ``TemplateError/notFound(file:searched:)`` naming `file` and every folder tried.
    public static func locate(
        explicitPath: String? = nil,
        requiring file: String = "table.tex.mustache",
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        executable: URL? = TemplateDirectory.currentExecutable()
    ) throws -> TemplateDirectory {
        let candidates: [URL]
        if let explicitPath {
            candidates = [URL(fileURLWithPath: explicitPath, relativeTo: currentDirectory)]
        } else {
            var seen = Set<String>()
            candidates = (ancestors(of: currentDirectory) + (executable.map { ancestors(of: $0.deletingLastPathComponent()) } ?? []))
                .map { $0.appendingPathComponent("templates") }
                .filter { seen.insert($0.standardizedFileURL.path).inserted }
        }
        for folder in candidates where FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path) {
            return TemplateDirectory(url: folder)
        }
        let name = file.hasSuffix(".mustache") ? file : file + ".mustache"
        if explicitPath == nil && EmbeddedTemplates.files[name] != nil { return .embedded }
        throw TemplateError.notFound(file: file, searched: candidates.map { $0.standardizedFileURL.path })
    }

    /// `CommandLine.arguments[0]` as an absolute path with symlinks resolved (looked up
    /// in `PATH` when it has no slash), or nil when it cannot be resolved.
    public static func currentExecutable() -> URL? {
        guard let argument = CommandLine.arguments.first, !argument.isEmpty else { return nil }
        let fileManager = FileManager.default
        if argument.contains("/") {
            let cwd = URL(fileURLWithPath: fileManager.currentDirectoryPath)
            return URL(fileURLWithPath: argument, relativeTo: cwd).standardizedFileURL.resolvingSymlinksInPath()
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(argument)
            if fileManager.isExecutableFile(atPath: candidate.path) {
                return candidate.standardizedFileURL.resolvingSymlinksInPath()
            }
        }
        return nil
    }

    /// The file of template `name`: `name` itself when it ends in `.mustache`, else
    /// `name.mustache` (so `"table.tex"` is `table.tex.mustache`).
    public static func fileName(forTemplate name: String) -> String {
        name.hasSuffix(".mustache") ? name : name + ".mustache"
    }

    func loadTemplate(named name: String) throws -> MustacheTemplate {
        let fileName = TemplateDirectory.fileName(forTemplate: name)
        let text: String
        let origin: String
        if let folder {
            let file = folder.appendingPathComponent(fileName)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw TemplateError.notFound(file: fileName, searched: [folder.path])
            }
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw TemplateError.unreadable(file: file.path, reason: "\(error)")
            }
            origin = file.path
        } else {
            guard let embedded = EmbeddedTemplates.files[fileName] else {
                throw TemplateError.notFound(file: fileName, searched: [description])
            }
            text = embedded
            origin = "\(fileName) (built in)"
        }
        do {
            return try MustacheTemplate(string: text)
        } catch {
            throw TemplateError.invalidTemplate(file: origin, reason: "\(error)")
        }
    }

    /// `folder` and every folder above it, up to `/`.
    static func ancestors(of folder: URL) -> [URL] {
        var components = folder.standardizedFileURL.path.split(separator: "/").map(String.init)
        var result: [URL] = []
        while true {
            result.append(URL(fileURLWithPath: "/" + components.joined(separator: "/")))
            if components.isEmpty { return result }
            components.removeLast()
        }
    }
}

/// Why a template could not be used; the description names the file and the folders tried.
public enum TemplateError: Error, Equatable, CustomStringConvertible {
    /// `file` is in none of the `searched` templates folders.
    case notFound(file: String, searched: [String])
    case unreadable(file: String, reason: String)
    case invalidTemplate(file: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(file, searched):
            "Cannot find the template \(file). Looked in:\n"
                + searched.map { "  \($0)/\(file)" }.joined(separator: "\n")
                + "\nPass the templates folder explicitly (--templates PATH) or run from inside the repository."
        case let .unreadable(file, reason):
            "Cannot read the template \(file): \(reason)"
        case let .invalidTemplate(file, reason):
            "The template \(file) is not valid mustache: \(reason)"
        }
    }
}
