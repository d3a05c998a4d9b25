from ninja import NinjaAPI

api = NinjaAPI(title="ЦУР API", version="1")
