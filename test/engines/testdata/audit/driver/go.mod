module example.com/auditdriver

go 1.21
