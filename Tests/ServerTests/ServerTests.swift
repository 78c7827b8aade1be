// Server tests
