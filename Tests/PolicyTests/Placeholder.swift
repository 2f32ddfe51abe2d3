import XCTest

final class PolicyTestsPlaceholder: XCTestCase {}
