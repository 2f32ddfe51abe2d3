import Core

public struct ScanSettings: Sendable {
    public var uri: String
    public var root: HostRoot
    public var policiesDirectory: String
    public var waiversPath: String?
    public init(uri: String, root: HostRoot, policiesDirectory: String, waiversPath: String? = nil) {
        self.uri = uri
        self.root = root
        self.policiesDirectory = policiesDirectory
        self.waiversPath = waiversPath
    }
}

public struct ScanError: Error, CustomStringConvertible {
    public var description: String
}

public final class Auditor: Sendable {
    public let settings: ScanSettings
    public init(settings: ScanSettings) throws { self.settings = settings }
    public func scan() throws -> ScanReport { throw ScanError(description: "scanner not assembled") }
    public func explain(_ vm: String, in report: ScanReport) -> String? { nil }
}
