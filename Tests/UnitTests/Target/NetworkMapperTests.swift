import Testing
import V2VTestSupport
import V2VCore
import V2VModel

@Suite("Network mapping", .offPool)
struct NetworkMapperTests {
  typealias C = TargetCases

  @Test("parse: bare OUT is a default, IN:OUT splits at the first colon")
  func parse() throws {
    #expect(
      try NetworkMapping.parse("default", kind: .network) == NetworkMapping(kind: .network, targetName: "default"))
    #expect(
      try NetworkMapping.parse("VM Network:default", kind: .network)
        == NetworkMapping(kind: .network, sourceName: "VM Network", targetName: "default"))
    #expect(
      try NetworkMapping.parse("xenbr0:br:0", kind: .bridge)
        == NetworkMapping(kind: .bridge, sourceName: "xenbr0", targetName: "br:0"))
    #expect(NetworkMapping(kind: .bridge, targetName: "br0").connection == .bridge("br0"))
  }

  @Test("parse errors name the option and the problem", arguments: ["", ":x", "x:"])
  func parseErrors(_ arg: String) {
    do {
      _ = try NetworkMapping.parse(arg, kind: .bridge)
      Issue.record("\(arg) parsed")
    } catch {
      #expect("\(error)".hasPrefix("--bridge \"\(arg)\": empty"))
    }
  }

  @Test("in:out mappings, then the plan's default; fallback 'default' otherwise")
  func xenMappings() throws {
    let plan = try C.plan(C.xenSource, C.options(mappings: C.xenMappings))
    #expect(plan.target.nics.map(\.connection) == [.bridge("br0"), .network("default"), .network("default")])
    #expect(plan.target.nics.map(\.mac) == ["00:16:3e:00:00:01", "00:16:3e:00:00:02", "00:16:3e:00:00:03"])
    #expect(plan.target.nics.allSatisfy { $0.model == .virtio })
    #expect(plan.warnings.allSatisfy { !$0.contains("--network") && !$0.contains("--bridge") })
    let user = try C.plan(C.xenSource, C.options(mappings: C.xenMappings, fallback: .user))
    #expect(user.target.nics.map(\.connection) == [.bridge("br0"), .network("default"), .user])
  }

  @Test("a bare default of the NIC's kind wins over the other kind's")
  func defaults() throws {
    let mapper = try NetworkMapper(mappings: [
      NetworkMapping(kind: .network, targetName: "lan"), NetworkMapping(kind: .bridge, targetName: "br9"),
      NetworkMapping(kind: .network, sourceName: "Storage", targetName: "san"),
    ])
    #expect(mapper.connection(for: NIC(network: "VM Network")) == .network("lan"))
    #expect(mapper.connection(for: NIC(network: "Storage")) == .network("san"))
    #expect(mapper.connection(for: NIC(bridge: "xenbr1")) == .bridge("br9"))
    #expect(mapper.connection(for: NIC()) == .network("lan"))
    let onlyBridge = try NetworkMapper(mappings: [NetworkMapping(kind: .bridge, targetName: "br9")])
    #expect(onlyBridge.connection(for: NIC(network: "VM Network")) == .bridge("br9"))
    let none = try NetworkMapper(mappings: [])
    #expect(none.connection(for: NIC(bridge: "xenbr0")) == .network("default"))
  }

  @Test("a mapping for a network the source lacks is a warning, with a hint when it is a bridge")
  func unknownSource() throws {
    let plan = try C.plan(
      C.xenSource,
      C.options(mappings: [
        NetworkMapping(kind: .network, sourceName: "Nope", targetName: "x"),
        NetworkMapping(kind: .network, sourceName: "xenbr0", targetName: "y"),
      ]))
    #expect(
      plan.warnings.contains { $0.contains("no network named \"Nope\"") && $0.contains("\"Storage\", \"VM Network\"") })
    #expect(plan.warnings.contains { $0.contains("\"xenbr0\"") && $0.contains("use --bridge") })
    #expect(plan.target.nics[0].connection == .network("default"))
  }

  @Test("duplicate mappings and defaults are errors")
  func duplicates() {
    #expect(throws: PlanError.duplicateMapping(.network, "A")) {
      try NetworkMapper(mappings: [
        NetworkMapping(kind: .network, sourceName: "A", targetName: "x"),
        NetworkMapping(kind: .network, sourceName: "A", targetName: "y"),
      ])
    }
    #expect(throws: PlanError.duplicateDefault(.bridge, "b1", "b2")) {
      try NetworkMapper(mappings: [
        NetworkMapping(kind: .bridge, targetName: "b1"), NetworkMapping(kind: .bridge, targetName: "b2"),
      ])
    }
    // The same source name under --network and --bridge is two different sources.
    #expect(throws: Never.self) {
      try NetworkMapper(mappings: [
        NetworkMapping(kind: .network, sourceName: "A", targetName: "x"),
        NetworkMapping(kind: .bridge, sourceName: "A", targetName: "y"),
      ])
    }
  }
}
