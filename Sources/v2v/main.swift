print("v2v")
