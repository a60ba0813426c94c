# A stand-in for amazon.aws.rds_instance_info: 'creating' until the third call.
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(counter=dict(type="path", required=True)), supports_check_mode=True)
    with open(module.params["counter"], "a+") as counter:
        counter.write("x")
        counter.seek(0)
        calls = len(counter.read())
    status = "available" if calls >= 3 else "creating"
    module.exit_json(changed=False, instances=[
        {"db_instance_identifier": "credlink-test-db", "multi_az": True, "db_instance_status": status}])


if __name__ == "__main__":
    main()
