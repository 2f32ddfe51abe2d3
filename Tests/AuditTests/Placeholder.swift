import XCTest

final class AuditTestsPlaceholder: XCTestCase {}
