import Foundation

/// An sRGB colour with straight (not premultiplied) alpha; every component in [0, 1].
public struct Color: Hashable, Sendable, CustomStringConvertible {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// A colour from a 24-bit `0xRRGGBB` literal.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255,
                  green: Double((hex >> 8) & 0xFF) / 255,
                  blue: Double(hex & 0xFF) / 255,
                  alpha: alpha)
    }

    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let white = Color(red: 1, green: 1, blue: 1)

    /// A neutral grey of the given lightness (0 black, 1 white).
    public static func gray(_ level: Double, alpha: Double = 1) -> Color {
        Color(red: level, green: level, blue: level, alpha: alpha)
    }

    public func withAlpha(_ alpha: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: alpha)
    }

    /// WCAG 2 relative luminance of the opaque colour: 0.2126 R + 0.7152 G + 0.0722 B on
    /// linearised sRGB components.
    public var relativeLuminance: Double {
        func linear(_ c: Double) -> Double {
            c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// WCAG 2 contrast ratio (L_light + 0.05) / (L_dark + 0.05), between 1 and 21.
    public func contrastRatio(with other: Color) -> Double {
        let a = relativeLuminance, b = other.relativeLuminance
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    /// Black or white, whichever contrasts more with this colour (text on a filled cell).
    public var contrastingTextColor: Color {
        contrastRatio(with: .black) >= contrastRatio(with: .white) ? .black : .white
    }

    /// Component-wise linear interpolation, `t` clamped to [0, 1].
    public func mixed(with other: Color, fraction t: Double) -> Color {
        let t = min(max(t, 0), 1)
        return Color(red: red + (other.red - red) * t,
                     green: green + (other.green - green) * t,
                     blue: blue + (other.blue - blue) * t,
                     alpha: alpha + (other.alpha - alpha) * t)
    }

    public var description: String {
        String(format: "#%02X%02X%02X", Int((red * 255).rounded()), Int((green * 255).rounded()),
               Int((blue * 255).rounded())) + (alpha < 1 ? String(format: "@%.2f", alpha) : "")
    }
}

/// The Okabe–Ito palette (Okabe & Ito 2008), distinguishable under the common forms of
/// colour blindness. Ordered for plotting: yellow comes last because it is faint on white.
public enum OkabeIto {
    public static let black = Color(hex: 0x000000)
    public static let orange = Color(hex: 0xE69F00)
    public static let skyBlue = Color(hex: 0x56B4E9)
    public static let bluishGreen = Color(hex: 0x009E73)
    public static let yellow = Color(hex: 0xF0E442)
    public static let blue = Color(hex: 0x0072B2)
    public static let vermillion = Color(hex: 0xD55E00)
    public static let reddishPurple = Color(hex: 0xCC79A7)

    /// The seven colours used for series lines, in order of assignment.
    public static let lineColors: [Color] = [blue, vermillion, bluishGreen, reddishPurple, orange, skyBlue, black]
}

/// A sequential colour map given by evenly spaced anchor colours, linearly interpolated.
public struct ColorMap: Sendable {
    public let anchors: [Color]

    public init(anchors: [Color]) {
        precondition(anchors.count >= 2, "a colour map needs at least 2 anchors, got \(anchors.count)")
        self.anchors = anchors
    }

    /// The colour at `t` ∈ [0, 1] (clamped); NaN gives mid grey.
    public func color(at t: Double) -> Color {
        guard !t.isNaN else { return .gray(0.6) }
        let s = min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(s), anchors.count - 2)
        return anchors[i].mixed(with: anchors[i + 1], fraction: s - Double(i))
    }

    /// The colour of `value` on the scale `range` (lower bound ↦ first anchor).
    public func color(for value: Double, in range: ClosedRange<Double>) -> Color {
        let span = range.upperBound - range.lowerBound
        return color(at: span > 0 ? (value - range.lowerBound) / span : 0.5)
    }

    /// Matplotlib's viridis (perceptually uniform, colour-blind safe, monotone in luminance),
    /// sampled at nine evenly spaced points.
    public static let viridis = ColorMap(anchors: [
        Color(hex: 0x440154), Color(hex: 0x472C7A), Color(hex: 0x3B518B), Color(hex: 0x2C718E),
        Color(hex: 0x21908D), Color(hex: 0x27AD81), Color(hex: 0x5CC863), Color(hex: 0xAADC32),
        Color(hex: 0xFDE725),
    ])
}
