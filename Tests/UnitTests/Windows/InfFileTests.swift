import Testing
import V2VConverters
import V2VModel

/// The INF reader: encodings, comments, continuations, quoting, `%strings%`, case-insensitive names,
/// models sections per architecture, services per install section, and its two refusals.
@Suite("Windows INF files")
struct InfFileTests {
  /// A storage driver INF shaped like virtio-win's built ones (decorated models per architecture).
  static let storage = """
    ; A test INF, shaped like a virtio-win storage driver
    [version]
    Signature="$Windows NT$"
    Class=SCSIAdapter
    ClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}
    Provider=%VENDOR%
    DriverVer = 08/11/2023,100.94.104.24000 ; stamped at build time
    CatalogFile=teststor.cat
    PnpLockdown=1

    [Manufacturer]
    %VENDOR% = TestStor,NTamd64.10.0...16299,NTx86.10.0...16299

    [TestStor.NTamd64.10.0...16299]
    %TestStor.DeviceDesc% = scsi_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00, PCI\\VEN_1AF4&DEV_1001
    %TestStor.DeviceDesc% = scsi_inst, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01, PCI\\VEN_1AF4&DEV_1042

    [TestStor.NTx86.10.0...16299]
    %TestStor.DeviceDesc% = scsi_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00

    [scsi_inst]
    CopyFiles=teststor_files

    [SCSI_INST.services]
    AddService = teststor, 0x00000002 , service_inst, eventlog_inst

    [service_inst]
    ServiceType    = 1
    StartType      = 0

    [Strings]
    VENDOR = "Red Hat, Inc."
    TestStor.DeviceDesc = "Red Hat VirtIO SCSI controller"
    """

  static func utf16(_ text: String, bigEndian: Bool) -> [UInt8] {
    var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
    for unit in text.utf16 {
      let hi = UInt8(unit >> 8), lo = UInt8(unit & 0xFF)
      bytes += bigEndian ? [hi, lo] : [lo, hi]
    }
    return bytes
  }

  static func crlf(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\r\n") }

  @Test("a UTF-16LE INF with CRLF: version fields, strings substituted, amd64 models and services")
  func storageUTF16() throws {
    let inf = try InfFile(fileName: "teststor.inf", bytes: Self.utf16(Self.crlf(Self.storage), bigEndian: false), arch: .x86_64)
    #expect(inf.fileName == "teststor.inf")
    #expect(inf.provider == "Red Hat, Inc.")
    #expect(inf.className == "SCSIAdapter")
    #expect(inf.classGUID == "{4D36E97B-E325-11CE-BFC1-08002BE10318}")
    #expect(inf.catalogFile == "teststor.cat")
    #expect(inf.driverDate == "08/11/2023")
    #expect(inf.driverVersion == "100.94.104.24000")
    #expect(inf.models.count == 2)
    #expect(inf.models[0].description == "Red Hat VirtIO SCSI controller")
    #expect(inf.models[0].installSection == "scsi_inst")
    #expect(inf.models[0].hardwareIDs == ["PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "PCI\\VEN_1AF4&DEV_1001"])
    #expect(inf.models[1].hardwareIDs.first == "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01")
    #expect(inf.services == ["teststor"])
    #expect(inf.matches(hardwareID: "pci\\ven_1af4&dev_1042"))
    #expect(!inf.matches(hardwareID: "PCI\\VEN_1AF4&DEV_1000"))
  }

  @Test("the same INF as UTF-16BE, UTF-8 with BOM and plain UTF-8 reads the same; x86 gets its own section")
  func encodings() throws {
    let reference = try InfFile(fileName: "t.inf", bytes: Self.utf16(Self.storage, bigEndian: false), arch: .x86_64)
    let be = try InfFile(fileName: "t.inf", bytes: Self.utf16(Self.storage, bigEndian: true), arch: .x86_64)
    let bom = try InfFile(fileName: "t.inf", bytes: [0xEF, 0xBB, 0xBF] + Array(Self.storage.utf8), arch: .x86_64)
    let plain = try InfFile(fileName: "t.inf", bytes: Array(Self.crlf(Self.storage).utf8), arch: .x86_64)
    #expect(be == reference)
    #expect(bom == reference)
    #expect(plain == reference)
    let x86 = try InfFile(fileName: "t.inf", bytes: Array(Self.storage.utf8), arch: .i386)
    #expect(x86.models.map(\.hardwareIDs) == [["PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"]])
    #expect(x86.services == ["teststor"])
  }

  @Test("install sections decorated .NT and .NT<arch>: services come from the most specific one present")
  func decoratedInstallSections() throws {
    let text = """
      [Version]
      Signature="$WINDOWS NT$"
      Class=System
      ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}
      Provider=%VENDOR%
      DriverVer=01/08/2020,61.81.104.17600
      CatalogFile=Balloon.cat
      CatalogFile.NTamd64=Balloon64.cat

      [Manufacturer]
      %VENDOR%=Standard,NTamd64.6.1,NTx86.6.1

      [Standard.NTamd64.6.1]
      %Desc%=BALLOON_Device, PCI\\VEN_1AF4&DEV_1002&SUBSYS_00051AF4&REV_00, PCI\\VEN_1AF4&DEV_1002
      [Standard.NTx86.6.1]
      %Desc%=BALLOON_Device, PCI\\VEN_1AF4&DEV_1002&SUBSYS_00051AF4&REV_00, PCI\\VEN_1AF4&DEV_1002

      [BALLOON_Device]
      [BALLOON_Device.Services]
      AddService = undecorated, 2, BALLOON_Service_Inst
      [BALLOON_Device.NT]
      CopyFiles=Drivers_Dir
      [BALLOON_Device.NT.Services]
      AddService = BALLOON,%SPSVCINST_ASSOCSERVICE%, BALLOON_Service_Inst
      [BALLOON_Device.NTamd64]
      [BALLOON_Device.NTamd64.Services]
      AddService = BALLOON64,0x2, BALLOON_Service_Inst

      [Strings]
      SPSVCINST_ASSOCSERVICE= 0x00000002
      VENDOR = "Red Hat, Inc."
      Desc = "VirtIO Balloon Driver"
      """
    let amd64 = try InfFile(fileName: "balloon.inf", bytes: Array(text.utf8), arch: .x86_64)
    #expect(amd64.services == ["BALLOON64"])
    #expect(amd64.catalogFile == "Balloon64.cat")
    let x86 = try InfFile(fileName: "balloon.inf", bytes: Array(text.utf8), arch: .i386)
    #expect(x86.services == ["BALLOON"])
    #expect(x86.catalogFile == "Balloon.cat")
  }

  @Test("comments, continuations, quoting, %% and unknown %keys%, a repeated section, case-insensitive names")
  func syntax() throws {
    let text = """
      ; leading comment
      [VERSION]
      signature = "$Windows NT$"
      CLASS = "Net" ; trailing comment
      provider = "%Mfg%; not a comment"
      DRIVERVER = 02/20/2013,\\
          1.0.0.0

      [manufacturer]
      "Literal Maker" = Models, \\
         NTamd64

      [models.ntamd64]
      "A ""quoted"" name, with a comma" = Inst, PCI\\VEN_1AF4&DEV_1000 ; the NIC
      %Unknown% = Inst, PCI\\VEN_1AF4&DEV_1041

      [INST.SERVICES]
      addservice = %SvcName%, 2, svc
      [inst.services]
      AddService = second, 2, svc
      AddService = %SVCNAME%, 2, svc

      [strings]
      MFG = "Maker 100%%"
      svcname = "netkvm"
      """
    let inf = try InfFile(fileName: "net.inf", bytes: Array(text.utf8), arch: .x86_64)
    #expect(inf.className == "Net")
    #expect(inf.provider == "Maker 100%; not a comment")
    #expect(inf.driverDate == "02/20/2013")
    #expect(inf.driverVersion == "1.0.0.0")
    #expect(inf.models.map(\.description) == ["A \"quoted\" name, with a comma", "%Unknown%"])
    #expect(inf.models[0].hardwareIDs == ["PCI\\VEN_1AF4&DEV_1000"])
    #expect(inf.services == ["netkvm", "second"])
  }

  @Test("an undecorated models section applies to every architecture; Include/Needs services are not followed")
  func undecorated() throws {
    let text = """
      [Version]
      Signature="$Windows NT$"
      Class=MultiFunction
      ClassGUID={4d36e971-e325-11ce-bfc1-08002be10318}
      Provider=%QEMU%
      DriverVer=12/29/2013,1.3.0
      [Manufacturer]
      %QEMU%=QEMU
      [QEMU]
      %Card%=ComPort_inst1, PCI\\VEN_1B36&DEV_0002
      [ComPort_inst1.Services]
      Include=mf.inf
      Needs=MFINSTALL.mf.Services
      [Strings]
      QEMU="QEMU"
      Card="QEMU PCI Serial Card"
      """
    for arch in [Architecture.x86_64, .i386, .aarch64] {
      let inf = try InfFile(fileName: "qemupciserial.inf", bytes: Array(text.utf8), arch: arch)
      #expect(inf.models.map(\.hardwareIDs) == [["PCI\\VEN_1B36&DEV_0002"]], "\(arch)")
      #expect(inf.services.isEmpty)
      #expect(inf.provider == "QEMU")
    }
  }

  @Test("refusals: no [Version] section; no models for the architecture (naming the file and what there is)")
  func refusals() throws {
    #expect(throws: InfFileError.notAnINF(file: "readme.txt", problem: "no [Version] section")) {
      try InfFile(fileName: "readme.txt", bytes: Array("[Strings]\nA=1\nnot an inf".utf8), arch: .x86_64)
    }
    #expect(throws: InfFileError.noModels(file: "teststor.inf", arch: .aarch64, decorations: ["NTamd64.10.0...16299", "NTx86.10.0...16299"])) {
      try InfFile(fileName: "teststor.inf", bytes: Array(Self.storage.utf8), arch: .aarch64)
    }
    let message = InfFileError.noModels(file: "teststor.inf", arch: .aarch64, decorations: ["NTamd64"]).description
    #expect(message.contains("teststor.inf") && message.contains("aarch64") && message.contains("NTamd64"), "\(message)")
    #expect(InfFileError.notAnINF(file: "x.inf", problem: "no [Version] section").description.contains("x.inf"))
  }
}
