import Foundation
import Mustache

/// What `templates/report.md.mustache` sees (stored strings only: mustache reads values
/// by reflection, computed properties render empty).
public struct ReportContext: Sendable {
    public var title: String
    public var setup: String
    public var caption: String
    public var table: String
    /// Markdown table of paired comparisons against BMRS_N.
    public var paired: String
    /// Whether `paperComparison` (a Markdown table beside SPEC §7/§8's numbers) is shown.
    public var hasPaperComparison: Bool
    public var paperComparison: String
    /// Whether `spearmanComparison` (the paper's rank correlations beside ours) is shown.
    public var hasSpearmanComparison: Bool
    public var spearmanComparison: String
    public var figures: [ReportFigure]
}

public struct ReportFigure: Sendable {
    public var title: String
    public var file: String
}

/// Renders the report page through `report.md.mustache`.
public func renderReportTemplate(_ context: ReportContext, from directory: TemplateDirectory) throws -> String {
    try directory.loadTemplate(named: "report.md").render(context)
}
