from urllib.request import urlopen


def test_a_real_server_process_serves_the_login_page(tracehound_server):
    with urlopen(f"{tracehound_server.url}/accounts/login/", timeout=5) as response:
        assert response.status == 200
        assert b'name="password"' in response.read()
