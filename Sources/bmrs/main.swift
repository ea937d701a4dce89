print("bmrs")
