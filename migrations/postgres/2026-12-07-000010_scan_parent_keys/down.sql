ALTER TABLE scans
    ADD CONSTRAINT scans_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id),
    ADD CONSTRAINT scans_event_id_fkey FOREIGN KEY (event_id) REFERENCES events(id),
    ADD CONSTRAINT scans_gate_id_fkey FOREIGN KEY (gate_id) REFERENCES gates(id),
    ADD CONSTRAINT scans_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices(id);
