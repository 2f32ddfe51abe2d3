import XCTest

final class InventoryTestsPlaceholder: XCTestCase {}
