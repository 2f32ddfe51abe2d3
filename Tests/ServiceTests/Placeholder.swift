import XCTest

final class ServiceTestsPlaceholder: XCTestCase {}
