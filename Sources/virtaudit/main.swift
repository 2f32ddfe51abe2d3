print("virtaudit")
