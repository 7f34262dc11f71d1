import V2VCore
import V2VModel
import V2VDrivers
